import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsIn, IsInt, IsString, Min, ValidateNested } from 'class-validator';

export class OrderItemDto {
  @IsString()
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;

  @IsInt()
  @Min(0)
  unitPriceCents!: number;
}

export class OrderDto {
  @IsString()
  orderId!: string;

  @IsString()
  customerId!: string;

  @IsIn(['EUR', 'USD'])
  currency!: 'EUR' | 'USD';

  @ArrayNotEmpty()
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];
}

export function orderTotalCents(order: OrderDto): number {
  return order.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
}
