using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kavach.LoadGen.Protocol;

/// <summary>
/// Linux epoll and recv, for a single thread that reads thousands of sockets without a task, a callback or a
/// thread-pool hop per read: the cheapest client .NET can be, so the generator is not what a figure measures.
/// </summary>
public static unsafe partial class Epoll
{
    public const uint In = 0x001;
    public const int Again = 11;
    public const int Interrupted = 4;
    private const int Add = 1;
    private const int Delete = 2;
    private const int DontWait = 0x40;

    // struct epoll_event is packed on x86-64 (12 bytes), naturally aligned elsewhere (16).
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    public static int Create()
    {
        var fd = epoll_create1(0);
        return fd >= 0 ? fd : throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public static void Register(int epoll, int fd, ulong token)
    {
        var ev = stackalloc byte[16];
        Unsafe.WriteUnaligned(ev, In);
        Unsafe.WriteUnaligned(ev + DataOffset, token);
        if (epoll_ctl(epoll, Add, fd, ev) != 0)
        {
            throw new InvalidOperationException($"epoll_ctl ADD failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public static void Unregister(int epoll, int fd)
    {
        var ev = stackalloc byte[16];
        _ = epoll_ctl(epoll, Delete, fd, ev);
    }

    /// <summary>Waits for readable sockets; fills <paramref name="tokens"/> and returns how many (0 on timeout or interrupt).</summary>
    public static int Wait(int epoll, byte[] events, ulong[] tokens, int timeoutMilliseconds)
    {
        fixed (byte* buffer = events)
        {
            var count = epoll_wait(epoll, buffer, tokens.Length, timeoutMilliseconds);
            if (count < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == Interrupted ? 0 : throw new InvalidOperationException($"epoll_wait failed: errno {errno}");
            }

            for (var i = 0; i < count; i++)
            {
                tokens[i] = Unsafe.ReadUnaligned<ulong>(buffer + i * EventSize + DataOffset);
            }

            return count;
        }
    }

    /// <summary>recv without blocking: bytes read, 0 at end of stream, -1 when nothing is there now, -2 on error.</summary>
    public static int Receive(int fd, Span<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            while (true)
            {
                var read = recv(fd, pointer, buffer.Length, DontWait);
                if (read >= 0)
                {
                    return (int)read;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == Interrupted)
                {
                    continue;
                }

                return errno == Again ? -1 : -2;
            }
        }
    }

    public static void Close(int epoll) => _ = close(epoll);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epoll, int operation, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epoll, byte* events, int maxEvents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
