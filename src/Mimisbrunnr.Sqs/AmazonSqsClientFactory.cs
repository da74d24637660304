using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Mimisbrunnr.Sqs;

/// <summary>
/// Creates <see cref="AmazonSQSClient"/>s for a fixed endpoint (<c>ServiceURL</c>) and signing
/// region, with the norn's credentials or the SDK's default credential chain. The SDK's own retries are off: the
/// sender retries, so that one setting (<see cref="SqsDestinationOptions.Retries"/>) counts every attempt.
/// </summary>
internal sealed class AmazonSqsClientFactory : ISqsClientFactory
{
    public ISqsClient Create(SqsClientSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var config = new AmazonSQSConfig
        {
            ServiceURL = settings.Endpoint,
            AuthenticationRegion = settings.Region,
            MaxErrorRetry = 0,

            // The endpoint is exactly the configured one: no AWS_ENDPOINT_URL* variable or profile may redirect it.
            IgnoreConfiguredEndpointUrls = true,
        };
        var client = settings.Credentials is { } credentials
            ? new AmazonSQSClient(
                credentials.SessionToken is { } token
                    ? new SessionAWSCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, token)
                    : new BasicAWSCredentials(credentials.AccessKeyId, credentials.SecretAccessKey),
                config)
            : new AmazonSQSClient(config);
        return new Adapter(client);
    }

    private sealed class Adapter(AmazonSQSClient client) : ISqsClient
    {
        public Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken) =>
            client.SendMessageAsync(request, cancellationToken);

        public Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken) =>
            client.SendMessageBatchAsync(request, cancellationToken);

        public void Dispose() => client.Dispose();
    }
}
