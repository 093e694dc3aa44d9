using System.Buffers;

namespace Kavach.LoadGen.Protocol;

/// <summary>A request body read whole into a pooled array, for the sinks: no allocation per request.</summary>
public static class RequestBody
{
    /// <summary>The whole body into a pooled array (return it to <see cref="ArrayPool{T}.Shared"/>), and how many bytes of it are the body.</summary>
    public static async Task<(byte[] Buffer, int Length)> ReadAsync(Stream body, long? expected)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(expected ?? 0, 4096, 64 * 1024 * 1024) + 1);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            var read = await body.ReadAsync(buffer.AsMemory(length));
            if (read == 0)
            {
                return (buffer, length);
            }

            length += read;
        }
    }
}
