using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Freshet.Learning.Tests;

/// <summary>Runs sklearn_baseline.py with Debian's python3 (the one python3-sklearn installs into).</summary>
internal static class ScikitLearn
{
    private const string Python = "/usr/bin/python3";

    /// <summary>Why scikit-learn cannot run here, or null when it can.</summary>
    public static string? Missing { get; } = Probe();

    /// <summary>Writes the examples in svmlight format and returns the script's JSON line, or null when scikit-learn is missing.</summary>
    public static string? Run(IEnumerable<(int[] Indices, float[] Values, bool Positive)> examples, int bits, double trainFraction)
    {
        if (Missing is not null)
        {
            return null;
        }

        string path = Path.Combine(Path.GetTempPath(), $"freshet-examples-{Guid.NewGuid():N}.svm");
        try
        {
            using (var writer = new StreamWriter(path, false, Encoding.ASCII))
            {
                var line = new StringBuilder();
                foreach (var (indices, values, positive) in examples)
                {
                    // svmlight wants each index once, ascending: fold repeats (hash collisions) by summing.
                    line.Clear().Append(positive ? '1' : '0');
                    foreach (var group in indices.Zip(values).GroupBy(p => p.First).OrderBy(g => g.Key))
                    {
                        line.Append(CultureInfo.InvariantCulture, $" {group.Key + 1}:{group.Sum(p => p.Second).ToString("R", CultureInfo.InvariantCulture)}");
                    }

                    writer.WriteLine(line);
                }
            }

            string script = Path.Combine(AppContext.BaseDirectory, "sklearn_baseline.py");
            var (code, stdout, stderr) = Exec(script, path, bits.ToString(CultureInfo.InvariantCulture), trainFraction.ToString(CultureInfo.InvariantCulture));
            return code == 0 ? stdout.Trim().Split('\n')[^1] : throw new InvalidOperationException($"sklearn_baseline.py failed ({code}): {stderr}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string? Probe()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is missing";
        }

        var (code, _, stderr) = Exec("-c", "import sklearn");
        return code == 0 ? null : $"{Python} cannot import sklearn (apt-get install -y python3-sklearn): {stderr.Trim().Split('\n')[^1]}";
    }

    private static (int Code, string Stdout, string Stderr) Exec(params string[] args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }
}
