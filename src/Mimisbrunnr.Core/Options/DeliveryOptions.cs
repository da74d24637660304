using System.ComponentModel.DataAnnotations;

namespace Mimisbrunnr;

/// <summary>Per-norn buffering and delivery.</summary>
public sealed class DeliveryOptions : IValidatableObject
{
    /// <summary>Capacity of each norn's buffer (default 1,000).</summary>
    [ConfigurationRange(1, 1_000_000, ErrorMessage = "Mimisbrunnr:Delivery:QueueSize must be from {1} to {2}.")]
    public int QueueSize { get; set; } = 1_000;

    /// <summary>Concurrent sends per norn (default 1, which keeps a device's events in order).</summary>
    [ConfigurationRange(1, 1_000, ErrorMessage = "Mimisbrunnr:Delivery:Workers must be from {1} to {2}.")]
    public int Workers { get; set; } = 1;

    /// <summary>Retries after the first attempt for retryable failures (default 3).</summary>
    [ConfigurationRange(0, 20, ErrorMessage = "Mimisbrunnr:Delivery:Retries must be from {1} to {2}.")]
    public int Retries { get; set; } = 3;

    /// <summary>Base delay of the exponential backoff with jitter (default 1 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest Retry-After honoured (default 30 s).</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a norn is cut off after its buffer overflowed (default 10 s, as Caduceus).</summary>
    public TimeSpan CutOffPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Timeout of one delivery attempt (default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A norn's dispatcher is retired after this long without events (default 5 min).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>On shutdown, how long buffered events may still be delivered (default 5 s).</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Bytes buffered on the host across all norns (default 256 MiB, sized for a VM with 1–2 GiB). An event that would
    /// pass it is dropped for that norn as <c>host_budget</c>. Sizes are payload bytes plus the WRP text fields (the
    /// msgpack size of a decoded event), per buffered entry.
    /// </summary>
    public long MaxBufferedBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Bytes buffered across one owner's norns (default 64 MiB), so that one tenant's slow destinations cannot take the
    /// host's whole budget. An event that would pass it is dropped for that norn as <c>owner_budget</c>.
    /// </summary>
    public long MaxBufferedBytesPerOwner { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Sends in flight across one owner's norns (default 256): past it, a norn's worker waits for one of the owner's
    /// sends to finish, so an owner's slow destinations hold at most this many connections.
    /// </summary>
    [ConfigurationRange(1, 1_000_000, ErrorMessage = "Mimisbrunnr:Delivery:MaxConcurrentSendsPerOwner must be from {1} to {2}.")]
    public int MaxConcurrentSendsPerOwner { get; set; } = 256;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Polly's limits for a timeout strategy and a retry delay bound Timeout and the delays.
        var day = TimeSpan.FromDays(1);
        return new[]
        {
            Between(nameof(Timeout), Timeout, TimeSpan.FromMilliseconds(10), day),
            Between(nameof(RetryBaseDelay), RetryBaseDelay, TimeSpan.Zero, day),
            Between(nameof(MaxRetryAfter), MaxRetryAfter, TimeSpan.Zero, day),
            Between(nameof(CutOffPeriod), CutOffPeriod, TimeSpan.FromTicks(1), day),
            Between(nameof(IdleTimeout), IdleTimeout, TimeSpan.FromMilliseconds(1), day),
            Between(nameof(DrainTimeout), DrainTimeout, TimeSpan.Zero, day),
            MaxBufferedBytes < 1024
                ? new ValidationResult($"Mimisbrunnr:Delivery:MaxBufferedBytes {MaxBufferedBytes} must be at least 1024.", [nameof(MaxBufferedBytes)])
                : null,
            MaxBufferedBytesPerOwner < 1024 || MaxBufferedBytesPerOwner > MaxBufferedBytes
                ? new ValidationResult(
                    $"Mimisbrunnr:Delivery:MaxBufferedBytesPerOwner {MaxBufferedBytesPerOwner} must be from 1024 to Mimisbrunnr:Delivery:MaxBufferedBytes ({MaxBufferedBytes}).",
                    [nameof(MaxBufferedBytesPerOwner)])
                : null,
        }.OfType<ValidationResult>();
    }

    private static ValidationResult? Between(string name, TimeSpan value, TimeSpan min, TimeSpan max) =>
        value < min || value > max
            ? new ValidationResult($"Mimisbrunnr:Delivery:{name} {value} must be between {min} and {max}.", [name])
            : null;
}
