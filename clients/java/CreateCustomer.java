// A Java caller of payments.v1.PaymentService over real gRPC (grpc-netty), with stubs generated
// by protoc's Java generator and protoc-gen-grpc-java from the proto bundle (make java-client).
//
//   java -cp build/java/classes:<jars> CreateCustomer HOST:PORT EMAIL [NAME]   (key in $API_KEY)
//
// Prints the created customer as JSON. A failed call prints its gRPC code and the ErrorInfo
// reason from the google.rpc.Status details, and exits 1.
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import payments.v1.PaymentServiceGrpc;
import payments.v1.Payments.CreateCustomerRequest;
import payments.v1.Payments.Customer;

public final class CreateCustomer {
  private static final Metadata.Key<String> API_KEY =
      Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
  private static final long DEADLINE_SECONDS = 10;

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: CreateCustomer HOST:PORT EMAIL [NAME]  (key in $API_KEY)");
      System.exit(2);
    }
    String name = args.length > 2 ? args[2] : "";
    String apiKey = System.getenv().getOrDefault("API_KEY", "");
    System.exit(createCustomer(args[0], args[1], name, apiKey));
  }

  static int createCustomer(String address, String email, String name, String apiKey)
      throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    try {
      Metadata headers = new Metadata();
      headers.put(API_KEY, apiKey);
      CreateCustomerRequest request = CreateCustomerRequest.newBuilder()
          .setEmail(email)
          .setName(name)
          .setRequestId(UUID.randomUUID().toString()) // safe to retry with it
          .build();
      Customer customer = PaymentServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
          .createCustomer(request)
          .getCustomer();
      System.out.println(JsonFormat.printer().omittingInsignificantWhitespace().print(customer));
      return 0;
    } catch (StatusRuntimeException failure) {
      System.err.printf("%s %s: %s%n", failure.getStatus().getCode(), reason(failure),
          failure.getStatus().getDescription());
      return 1;
    } finally {
      channel.shutdownNow().awaitTermination(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }
  }

  /** The ErrorInfo reason among the google.rpc.Status details, "-" when there is none. */
  static String reason(StatusRuntimeException failure) throws InvalidProtocolBufferException {
    com.google.rpc.Status status = StatusProto.fromThrowable(failure);
    if (status != null) {
      for (Any detail : status.getDetailsList()) {
        if (detail.is(ErrorInfo.class)) {
          return detail.unpack(ErrorInfo.class).getReason();
        }
      }
    }
    return "-";
  }
}
