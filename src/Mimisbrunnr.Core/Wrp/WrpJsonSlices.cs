using System.Buffers;
using System.Runtime.CompilerServices;

namespace Mimisbrunnr.Wrp;

// Go's encoding/json decodes a repeated key into the value the earlier one left: it reuses a slice's backing array,
// so a JSON null element (a no-op for a string or a byte) keeps whatever an earlier array put at that index, and zero
// where nothing did; [] and null start a new slice, as does a base64 string for []byte. These two structs keep every
// element written since the last such reset (zero/null elsewhere) and hand out the visible part at the end. The
// common case (one array of a few strings, one base64 payload) uses no pooled buffer at all.

/// <summary>A <c>[]string</c> being decoded (headers, partner_ids): 8 elements inline, then a pooled array.</summary>
internal struct WrpJsonStringSlice
{
    private const int InlineLength = 8;

    private InlineStrings _inline;
    private string?[]? _spill;
    private int _extent;
    private int _length;
    private bool _present;

    /// <summary>JSON null: the slice becomes nil.</summary>
    public void SetNull()
    {
        Clear();
        _present = false;
        _length = 0;
    }

    /// <summary>Sets element <paramref name="index"/>, or with null keeps its old value (Go: null is a no-op).</summary>
    public void Set(int index, string? value)
    {
        if (_spill is null && index < InlineLength)
        {
            _extent = Math.Max(_extent, index + 1);
            if (value is not null)
            {
                _inline[index] = value;
            }

            return;
        }

        EnsureSpill(index + 1);
        _extent = Math.Max(_extent, index + 1);
        if (value is not null)
        {
            _spill![index] = value;
        }
    }

    /// <summary>The end of an array of <paramref name="length"/> elements (<c>[]</c> starts a new slice).</summary>
    public void End(int length)
    {
        _present = true;
        _length = length;
        if (length == 0)
        {
            Clear();
        }
    }

    /// <summary>The decoded list: null when absent; an element nothing wrote is Go's zero value, "".</summary>
    public readonly string[]? ToArray()
    {
        if (!_present)
        {
            return null;
        }

        if (_length == 0)
        {
            return [];
        }

        ReadOnlySpan<string?> source = _spill is null ? _inline : _spill;
        var result = new string[_length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = source[i] ?? string.Empty;
        }

        return result;
    }

    /// <summary>Gives the pooled array, if any, back.</summary>
    public void Return()
    {
        if (_spill is not null)
        {
            ArrayPool<string?>.Shared.Return(_spill, clearArray: true);
            _spill = null;
        }
    }

    private void Clear()
    {
        ((Span<string?>)_inline)[..Math.Min(_extent, InlineLength)].Clear();
        if (_spill is not null)
        {
            Array.Clear(_spill, 0, _extent);
        }

        _extent = 0;
    }

    private void EnsureSpill(int capacity)
    {
        if (_spill is not null && _spill.Length >= capacity)
        {
            return;
        }

        var bigger = ArrayPool<string?>.Shared.Rent(Math.Max(capacity, 2 * Math.Max(InlineLength, _spill?.Length ?? 0)));
        Array.Clear(bigger);
        if (_spill is null)
        {
            ((ReadOnlySpan<string?>)_inline).CopyTo(bigger);
        }
        else
        {
            _spill.AsSpan(0, _extent).CopyTo(bigger);
            ArrayPool<string?>.Shared.Return(_spill, clearArray: true);
        }

        _spill = bigger;
    }

    [InlineArray(InlineLength)]
    private struct InlineStrings
    {
        private string? _element;
    }
}

/// <summary>
/// A <c>[]byte</c> being decoded (payload): an exact array from base64 when that is all there is, a pooled buffer
/// once an array of numbers or an unusual base64 string needs one.
/// </summary>
internal struct WrpJsonByteSlice
{
    private byte[]? _buffer;
    private bool _pooled;
    private int _extent;
    private int _length;
    private bool _present;

    /// <summary>JSON null: the slice becomes nil.</summary>
    public void SetNull()
    {
        Release();
        _present = false;
        _length = 0;
    }

    /// <summary>A base64 string decoded into a fresh array of its exact length.</summary>
    public void SetExact(byte[] bytes)
    {
        Release();
        _buffer = bytes;
        _extent = bytes.Length;
        _length = bytes.Length;
        _present = true;
    }

    /// <summary>A new slice of at most <paramref name="capacity"/> bytes to fill; <see cref="End"/> sets its length.</summary>
    public Span<byte> Replace(int capacity)
    {
        Release();
        EnsureCapacity(capacity);
        _extent = capacity;
        return _buffer.AsSpan(0, capacity);
    }

    /// <summary>Sets element <paramref name="index"/>, or with null keeps its old value (Go: null is a no-op).</summary>
    public void Set(int index, byte? value)
    {
        EnsureCapacity(index + 1);
        _extent = Math.Max(_extent, index + 1);
        if (value is { } b)
        {
            _buffer![index] = b;
        }
    }

    /// <summary>The end of an array (or base64 string) of <paramref name="length"/> bytes.</summary>
    public void End(int length)
    {
        _present = true;
        _length = length;
        if (length == 0)
        {
            Release();
        }
    }

    /// <summary>The decoded payload, or null when absent.</summary>
    public readonly byte[]? ToArray()
    {
        if (!_present)
        {
            return null;
        }

        if (_length == 0)
        {
            return [];
        }

        return !_pooled && _buffer!.Length == _length ? _buffer : _buffer.AsSpan(0, _length).ToArray();
    }

    /// <summary>Gives the pooled buffer, if any, back.</summary>
    public void Return() => Release();

    private void Release()
    {
        if (_pooled)
        {
            ArrayPool<byte>.Shared.Return(_buffer!);
        }

        _buffer = null;
        _pooled = false;
        _extent = 0;
    }

    private void EnsureCapacity(int capacity)
    {
        if (_buffer is not null && _buffer.Length >= capacity)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, Math.Max(16, 2 * (_buffer?.Length ?? 0))));
        Array.Clear(bigger);
        _buffer?.AsSpan(0, _extent).CopyTo(bigger);
        if (_pooled)
        {
            ArrayPool<byte>.Shared.Return(_buffer!);
        }

        _buffer = bigger;
        _pooled = true;
    }
}
