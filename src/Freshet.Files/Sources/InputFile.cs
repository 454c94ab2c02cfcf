using System.Diagnostics.CodeAnalysis;
using System.IO.Compression;
using Freshet.Files.Mapping;

namespace Freshet.Files.Sources;

/// <summary>Opens an input file (replay, import): its format (from <c>--format</c> or the extension; <c>.gz</c> is decompressed on the fly) and the row source for it.</summary>
public static class InputFile
{
    /// <summary>The format an extension implies, looking through a trailing <c>.gz</c>; null when it does not say.</summary>
    public static InputFormat? FormatOf(string path)
    {
        string name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        return Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".csv" => InputFormat.Csv,
            ".tsv" or ".tab" => InputFormat.Tsv,
            ".ndjson" or ".jsonl" or ".json" => InputFormat.Ndjson,
            _ => null,
        };
    }

    public static bool TryOpen(string path, MappingSpec spec, [NotNullWhen(true)] out IRowSource? source, out InputFormat format,
        [NotNullWhen(false)] out string? error)
    {
        source = null;
        format = spec.Format ?? FormatOf(path) ?? InputFormat.Csv;
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"{path}: cannot read the file: {e.Message}";
            return false;
        }

        Stream input = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        if (format == InputFormat.Ndjson)
        {
            if (StartsWithArray(file))
            {
                input.Dispose();
                error = $"{path}: the file is a JSON array; replay reads NDJSON, one event object per line (jq -c '.[]' turns one into the other)";
                return false;
            }

            source = new JsonLineSource(file, input);
            error = null;
            return true;
        }

        // A separator given (or implied by TSV, or by an explicit --format csv) is used; otherwise it is detected.
        char? delimiter = spec.Delimiter ?? (format == InputFormat.Tsv ? '\t' : spec.Format == InputFormat.Csv ? ',' : null);
        if (!CsvRowSource.TryOpen(file, input, delimiter, spec.NoHeader, spec.Columns, out var csv, out string? csvError))
        {
            input.Dispose();
            error = $"{path}: {csvError}";
            return false;
        }

        source = csv;
        error = null;
        return true;
    }

    private static bool StartsWithArray(FileStream file)
    {
        if (!file.CanSeek)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[512];
        int n = file.Read(head);
        file.Position = 0;
        var text = head[..n].TrimStart(" \t\r\n\uFEFF"u8);
        return !text.IsEmpty && text[0] == '[';
    }
}
