using System.Security.Cryptography;
using System.Text;
using Amazon.SQS.Model;

namespace Mimisbrunnr.Sqs;

/// <summary>The two SQS operations delivery uses; implemented over <c>AmazonSQSClient</c>, and by fakes in tests.</summary>
internal interface ISqsClient : IDisposable
{
    Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken);

    Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken);
}

/// <summary>Creates SQS clients; <see cref="SqsClientCache"/> keeps and disposes them.</summary>
internal interface ISqsClientFactory
{
    ISqsClient Create(SqsClientSettings settings);
}

/// <summary>What one client is for: endpoint, signing region, and the norn's credentials or (when null) the ambient ones.</summary>
internal sealed class SqsClientSettings
{
    public SqsClientSettings(string endpoint, string region, SqsCredentials? credentials)
    {
        Endpoint = endpoint;
        Region = region;
        Credentials = credentials;
        Key = new SqsClientKey(endpoint, region, credentials?.Fingerprint ?? "ambient");
    }

    public string Endpoint { get; }

    public string Region { get; }

    /// <summary>The norn's credentials; <see langword="null"/> for the host's ambient credentials.</summary>
    public SqsCredentials? Credentials { get; }

    public SqsClientKey Key { get; }
}

/// <summary>The cache key of a client; holds a fingerprint of the credentials, never the credentials themselves.</summary>
internal readonly record struct SqsClientKey(string Endpoint, string Region, string CredentialsFingerprint);

/// <summary>A norn's AWS credentials. Not a record, so that no generated <c>ToString</c> ever prints the secret.</summary>
internal sealed class SqsCredentials
{
    public SqsCredentials(string accessKeyId, string secretAccessKey, string? sessionToken)
    {
        AccessKeyId = accessKeyId;
        SecretAccessKey = secretAccessKey;
        SessionToken = sessionToken;
        var material = Encoding.UTF8.GetBytes(string.Concat(accessKeyId, "\n", secretAccessKey, "\n", sessionToken ?? string.Empty));
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(material));
    }

    public string AccessKeyId { get; }

    public string SecretAccessKey { get; }

    public string? SessionToken { get; }

    /// <summary>SHA-256 of the three values: equal credentials share a client, changed ones (a rotated secret) do not.</summary>
    public string Fingerprint { get; }

    public override string ToString() => "SqsCredentials(" + AccessKeyId + ", ***)";
}
