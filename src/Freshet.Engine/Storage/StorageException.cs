namespace Freshet.Engine.Storage;

/// <summary>What is wrong with a data directory, so callers can answer with the right status and exit code.</summary>
public enum StorageProblem
{
    /// <summary>A file failed its checksum, is truncated in the middle, or is not what its name says.</summary>
    Corrupt,

    /// <summary>The device has no space left (ENOSPC) or a file size limit was hit.</summary>
    Full,

    /// <summary>The directory or device does not take writes.</summary>
    ReadOnly,

    /// <summary>The directory, or a file the state needs, is missing.</summary>
    Missing,

    /// <summary>Another process holds the directory's lock.</summary>
    Locked,

    /// <summary>Any other I/O failure.</summary>
    Io,
}

/// <summary>
/// A data directory cannot be used as it is. The message is written for the operator: it names the path and says
/// what was found and what to do; <see cref="Problem"/> classifies it.
/// </summary>
public sealed class StorageException : IOException
{
    public StorageException(StorageProblem problem, string message, Exception? inner = null)
        : base(message, inner)
    {
        Problem = problem;
    }

    public StorageProblem Problem { get; }

    /// <summary>Classifies an I/O failure on <paramref name="path"/> and words it for the operator.</summary>
    public static StorageException From(IOException error, string doing, string path)
    {
        if (error is StorageException storage)
        {
            return storage;
        }

        // HResult on Unix carries errno for IOException raised by the runtime's file APIs.
        int errno = error.HResult & 0xFFFF;
        var problem = errno switch
        {
            28 or 27 => StorageProblem.Full, // ENOSPC, EFBIG
            30 => StorageProblem.ReadOnly, // EROFS
            2 or 20 => StorageProblem.Missing, // ENOENT, ENOTDIR
            _ when error is DirectoryNotFoundException or FileNotFoundException => StorageProblem.Missing,
            _ => StorageProblem.Io,
        };
        string what = problem switch
        {
            StorageProblem.Full => "the device is full",
            StorageProblem.ReadOnly => "the file system is read-only",
            StorageProblem.Missing => "it is missing",
            _ => error.Message,
        };
        return new StorageException(problem, $"could not {doing} {path}: {what} ({error.Message.TrimEnd('.')})", error);
    }

    /// <summary>Classifies an access failure (EACCES, EROFS surface as this in .NET).</summary>
    public static StorageException From(UnauthorizedAccessException error, string doing, string path)
    {
        bool readOnly = error.InnerException is IOException inner && (inner.HResult & 0xFFFF) == 30;
        return new StorageException(readOnly ? StorageProblem.ReadOnly : StorageProblem.Io,
            $"could not {doing} {path}: {(readOnly ? "the file system is read-only" : "permission denied")} ({error.Message.TrimEnd('.')})", error);
    }
}
