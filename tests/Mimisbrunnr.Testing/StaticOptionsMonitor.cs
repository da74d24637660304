using Microsoft.Extensions.Options;

namespace Mimisbrunnr.Testing;

/// <summary>An options monitor over one fixed instance, for engine types built by hand.</summary>
/// <typeparam name="TOptions">The options type.</typeparam>
/// <param name="value">The options every call returns.</param>
public sealed class StaticOptionsMonitor<TOptions>(TOptions value) : IOptionsMonitor<TOptions>
{
    /// <inheritdoc />
    public TOptions CurrentValue { get; } = value;

    /// <inheritdoc />
    public TOptions Get(string? name) => CurrentValue;

    /// <inheritdoc />
    public IDisposable? OnChange(Action<TOptions, string?> listener) => null;
}

/// <summary>Shortcuts for <see cref="StaticOptionsMonitor{TOptions}"/>.</summary>
public static class StaticOptionsMonitor
{
    /// <summary>A monitor over <paramref name="options"/> (default: fresh defaults).</summary>
    /// <param name="options">The options.</param>
    /// <returns>The monitor.</returns>
    public static StaticOptionsMonitor<MimisbrunnrOptions> For(MimisbrunnrOptions? options = null) => new(options ?? new MimisbrunnrOptions());
}
