namespace Mimisbrunnr.Client.Verification;

/// <summary>Options of a <see cref="DeliveryVerifier"/>.</summary>
public sealed class DeliveryVerifierOptions
{
    /// <summary>Which signature is required (default <see cref="DeliverySignatureScheme.StandardWebhooks"/>).</summary>
    public DeliverySignatureScheme Scheme { get; set; } = DeliverySignatureScheme.StandardWebhooks;

    /// <summary>
    /// How far the <c>webhook-timestamp</c> may be from now, either way (default 5 minutes, as Standard Webhooks
    /// libraries). Mimisbrunnr stamps every attempt afresh, so retried deliveries stay within it.
    /// </summary>
    public TimeSpan Tolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The clock (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
