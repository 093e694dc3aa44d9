using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Kavach.StreamApi.Integrity.Witness;

/// <summary>
/// A file written only at its end: opened with <c>O_APPEND</c> (so it works under <c>chattr +a</c>, which then stops
/// anyone, root included, from changing what is written), each line written whole and fsync'd before it counts.
/// Writers on the same file (replicas on one host) take turns under an exclusive lock on a file beside it; readers
/// take no lock and ignore a last line not yet finished.
/// </summary>
internal sealed class AppendOnlyFile(string path)
{
    private const int OWrOnly = 0x1, OCreat = 0x40, OAppend = 0x400, OCloexec = 0x80000;

    public string Path { get; } = path;

    /// <summary>Runs <paramref name="decide"/> under the writers' lock, then appends the line it returns, if any.</summary>
    public async Task AppendUnderLockAsync(Func<Task<byte[]?>> decide, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var writers = await LockAsync(timeout, cancellationToken);
        if (await decide() is not { } line)
        {
            return;
        }

        // .NET's FileMode.Append seeks to the end instead of opening with O_APPEND, which an append-only file refuses.
        var descriptor = Open(Path, OWrOnly | OCreat | OAppend | OCloexec, 0x180 /* 0600 */);
        if (descriptor < 0)
        {
            throw new IOException($"Could not open {Path} for appending: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        using var handle = new SafeFileHandle(descriptor, ownsHandle: true);

        // With O_APPEND the kernel writes at the end whatever offset is asked.
        RandomAccess.Write(handle, line, RandomAccess.GetLength(handle));
        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>Every complete line, in file order.</summary>
    public async Task<List<byte[]>> ReadLinesAsync(CancellationToken cancellationToken)
    {
        var lines = new List<byte[]>();
        if (!File.Exists(Path))
        {
            return lines;
        }

        var content = await File.ReadAllBytesAsync(Path, cancellationToken);
        var start = 0;
        for (var end = Array.IndexOf(content, (byte)'\n'); end >= 0; end = Array.IndexOf(content, (byte)'\n', start))
        {
            lines.Add(content[start..end]);
            start = end + 1;
        }

        return lines;
    }

    private async Task<FileStream> LockAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock(2) on Unix, released when the stream is closed (or the process dies).
                return new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < timeout)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);
}
