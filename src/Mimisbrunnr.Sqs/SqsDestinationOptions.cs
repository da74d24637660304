namespace Mimisbrunnr.Sqs;

/// <summary>
/// Options of the Amazon SQS destination (<c>AddSqsDestination</c>). Validated when the host starts; read again for
/// every registration and delivery, so reloaded configuration applies at once (except <see cref="MaxBatchSize"/>, read
/// when a norn's dispatcher starts, and <see cref="ClientCacheSize"/>, read once).
/// </summary>
public sealed class SqsDestinationOptions
{
    /// <summary>The configuration section <c>AddSqsDestination</c> binds: <c>Mimisbrunnr:Sqs</c>.</summary>
    public const string SectionName = "Mimisbrunnr:Sqs";

    /// <summary>SQS's limit of entries in one <c>SendMessageBatch</c> request.</summary>
    public const int MaxEntriesPerBatch = 10;

    /// <summary>The payload limit of one <c>SendMessageBatch</c> request observed here: 256 KiB (262,144 bytes).</summary>
    public const int MaxBatchBytes = 256 * 1024;

    /// <summary>
    /// The endpoint every SQS request goes to instead of the queue URL's own host: an SQS emulator or a VPC endpoint,
    /// for example <c>http://127.0.0.1:4566</c>. Queue URLs under it (same scheme, host, port and path prefix, then
    /// <c>/&lt;account&gt;/&lt;queue name&gt;</c>) are then accepted at registration besides AWS's own queue URLs. Default
    /// none: requests go to the host of each queue URL (an AWS SQS endpoint).
    /// </summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>
    /// The region of a norn whose queue URL names none (one under <see cref="ServiceUrl"/>) and that gives none itself;
    /// default <c>us-east-1</c>. It is the SigV4 signing region.
    /// </summary>
    public string DefaultRegion { get; set; } = "us-east-1";

    /// <summary>
    /// Whether a norn without credentials of its own may be delivered with the host's ambient AWS credentials (the SDK's
    /// default chain: environment, profile, container or instance role) — and then only to a queue matched by
    /// <see cref="AllowedQueues"/>. Default <see langword="false"/>: every norn must bring an access key.
    /// </summary>
    public bool AllowAmbientCredentials { get; set; }

    /// <summary>
    /// The queues the host's ambient credentials may write to: 12-digit AWS account ids (every queue of the account),
    /// or queue URL patterns where <c>*</c> stands for any run of characters other than <c>/</c> (for example
    /// <c>https://sqs.us-east-1.amazonaws.com/123456789012/device-events-*</c>). Empty (the default): none.
    /// </summary>
    public IList<string> AllowedQueues { get; } = [];

    /// <summary>
    /// How many SQS clients (one per region, endpoint and credentials) are kept; the least recently used is disposed
    /// beyond that (default 64).
    /// </summary>
    public int ClientCacheSize { get; set; } = 64;

    /// <summary>
    /// The most events sent in one request, 1..10 (default 10). Above 1, events already buffered for a norn go out with
    /// <c>SendMessageBatch</c>; 1 sends every event with its own <c>SendMessage</c>.
    /// </summary>
    public int MaxBatchSize { get; set; } = MaxEntriesPerBatch;

    /// <summary>
    /// Retries after the first attempt for throttling, 5xx and transport errors, and for the retryable entries of a
    /// partly failed batch; default <see langword="null"/>: <see cref="DeliveryOptions.Retries"/>.
    /// </summary>
    public int? Retries { get; set; }

    /// <summary>
    /// The base delay of the exponential backoff (with jitter); default <see langword="null"/>:
    /// <see cref="DeliveryOptions.RetryBaseDelay"/>.
    /// </summary>
    public TimeSpan? RetryBaseDelay { get; set; }

    /// <summary>The longest backoff delay; default <see langword="null"/>: <see cref="DeliveryOptions.MaxRetryAfter"/>.</summary>
    public TimeSpan? MaxRetryDelay { get; set; }

    /// <summary>
    /// The shortest interval between two final-error notices (missing queue, access denied, credentials refused) sent
    /// to one norn's failure URL (default 1 minute), so that a broken destination does not flood its owner.
    /// </summary>
    public TimeSpan FailureNoticeInterval { get; set; } = TimeSpan.FromMinutes(1);
}
