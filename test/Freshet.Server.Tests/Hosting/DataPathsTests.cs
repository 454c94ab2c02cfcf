using Freshet.Server.Problems;

namespace Freshet.Server.Tests.Hosting;

public sealed class DataPathsTests
{
    [Fact]
    public void Relative_MessageNamingFilesInTheDataDirectory_NamesThemRelativeToIt()
    {
        string directory = Path.Combine(Path.GetTempPath(), "home", "alice", "freshet-data");
        string file = Path.Combine(directory, "log", "00000001.seg");
        string message = $"could not write {file}: the device is full (No space left on device : '{file}')";

        string relative = DataPaths.Relative(message, directory);

        string expected = Path.Combine("log", "00000001.seg");
        Assert.Equal($"could not write {expected}: the device is full (No space left on device : '{expected}')", relative);
        Assert.Equal("could not open freshet-data: it is missing", DataPaths.Relative($"could not open {directory}: it is missing", directory + Path.DirectorySeparatorChar));
    }
}
