import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes records with the Java client, which (unlike kafkajs) can write a null header value.
 * Arguments: bootstrap servers, topic. One record per stdin line, tab-separated:
 * partition, key, value, then headers as name=value; a header field without '=' has a null value.
 */
public final class RecordProducer {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("acks", "all");
    props.put("key.serializer", ByteArraySerializer.class.getName());
    props.put("value.serializer", ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.isEmpty()) continue;
        String[] fields = line.split("\t", -1);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
            args[1], Integer.valueOf(fields[0]), bytes(fields[1]), bytes(fields[2]));
        for (int i = 3; i < fields.length; i++) {
          int eq = fields[i].indexOf('=');
          if (eq < 0) record.headers().add(fields[i], null);
          else record.headers().add(fields[i].substring(0, eq), bytes(fields[i].substring(eq + 1)));
        }
        producer.send(record).get();
      }
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
