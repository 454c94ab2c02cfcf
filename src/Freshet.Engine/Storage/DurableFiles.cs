using System.Runtime.InteropServices;

namespace Freshet.Engine.Storage;

/// <summary>
/// The one file-system step durability needs beyond .NET's file APIs: fsync of a directory, so a created, renamed
/// or deleted entry survives a power cut.
/// </summary>
internal static partial class DurableFiles
{
    private const int ReadOnlyDirectoryFlags = 0x10000; // O_RDONLY | O_DIRECTORY on Linux

    /// <summary>Makes the entries of <paramref name="directory"/> durable (a no-op where the OS has no directory fsync).</summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // NTFS journals metadata; there is no directory handle to flush.
        }

        int fd = Open(directory, OperatingSystem.IsLinux() ? ReadOnlyDirectoryFlags : 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw StorageException.From(new IOException(Marshal.GetPInvokeErrorMessage(errno), errno), "open the directory", directory);
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw StorageException.From(new IOException(Marshal.GetPInvokeErrorMessage(errno), errno), "sync the directory", directory);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
