namespace Freshet.Engine.Tests.Storage;

/// <summary>A test class that makes temporary data directories and deletes them afterwards.</summary>
public abstract class DataDirectoryTest : IDisposable
{
    private readonly List<string> _directories = [];

    public void Dispose()
    {
        foreach (string directory in _directories)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a leftover temporary directory harms nothing.
            }
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>A fresh path (not created) under the temp folder, deleted when the test ends.</summary>
    protected string NewDirectory() => Track(DurableEngine.NewDirectory());

    /// <summary>Deletes <paramref name="directory"/> when the test ends.</summary>
    protected string Track(string directory)
    {
        _directories.Add(directory);
        return directory;
    }
}
