import { IsIn, IsInt, IsString, Min } from 'class-validator';

export class PaymentDto {
  @IsString()
  paymentId!: string;

  @IsString()
  orderId!: string;

  @IsInt()
  @Min(1)
  amountCents!: number;

  @IsIn(['EUR', 'USD'])
  currency!: 'EUR' | 'USD';
}
