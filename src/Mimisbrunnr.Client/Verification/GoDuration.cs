using System.Globalization;

namespace Mimisbrunnr.Client.Verification;

/// <summary>Reads durations as Go's <c>time.ParseDuration</c> writes and reads them: <c>10s</c>, <c>1m30s</c>, <c>1.5h</c>, <c>250ms</c>.</summary>
internal static class GoDuration
{
    private const decimal TicksPerNanosecond = 0.01m;

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var span = text.AsSpan();
        var negative = false;
        if (span[0] is '-' or '+')
        {
            negative = span[0] == '-';
            span = span[1..];
        }

        if (span is "0")
        {
            return true;
        }

        if (span.IsEmpty)
        {
            return false;
        }

        decimal nanoseconds = 0;
        try
        {
            while (!span.IsEmpty)
            {
                var numberLength = 0;
                while (numberLength < span.Length && (char.IsAsciiDigit(span[numberLength]) || span[numberLength] == '.'))
                {
                    numberLength++;
                }

                if (numberLength == 0 || !decimal.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
                {
                    return false;
                }

                span = span[numberLength..];
                var unitLength = 0;
                while (unitLength < span.Length && !char.IsAsciiDigit(span[unitLength]) && span[unitLength] != '.')
                {
                    unitLength++;
                }

                decimal? unit = span[..unitLength] switch
                {
                    "ns" => 1m,
                    "us" or "µs" or "μs" => 1_000m,
                    "ms" => 1_000_000m,
                    "s" => 1_000_000_000m,
                    "m" => 60_000_000_000m,
                    "h" => 3_600_000_000_000m,
                    _ => null,
                };
                if (unit is not { } factor)
                {
                    return false;
                }

                nanoseconds += value * factor;
                span = span[unitLength..];
            }

            var ticks = decimal.Round(nanoseconds * TicksPerNanosecond, MidpointRounding.AwayFromZero);
            if (ticks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }

            duration = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}
