using System.Globalization;
using System.Text;
using Freshet.Files.Mapping;
using Freshet.Files.Sources;

namespace Freshet.Files.Tests;

/// <summary>One event as the mapper produced it, in plain values for assertions.</summary>
internal sealed record MappedRow(long Line, string Type, long TimeMs, string? Id, IReadOnlyDictionary<string, object> Fields)
{
    public string Text(string field) => Assert.IsType<string>(Fields[field]);

    public double Number(string field) => Assert.IsType<double>(Fields[field]);
}

/// <summary>Temporary input files, and the reading half of a replay or import (source, mapping, mapper) run over them.</summary>
internal static class MappedFiles
{
    /// <summary>Writes <paramref name="content"/> to a new temporary file with <paramref name="extension"/> (".csv").</summary>
    public static string Write(string content, string extension)
    {
        string dir = Path.Combine(Path.GetTempPath(), "freshet-files-tests");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"{Guid.NewGuid():N}{extension}");
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    /// <summary>Reads and maps a file the way <c>freshet replay</c> does; the error is the one line the command would print.</summary>
    public static (List<MappedRow> Events, List<Rejection> Rejections, string? Error) Map(string path, MappingSpec spec)
    {
        if (!InputFile.TryOpen(path, spec, out var source, out var format, out string? openError))
        {
            return ([], [], openError);
        }

        using (source)
        {
            var names = new FieldNameTable();
            if (!FieldMapping.TryCreate(spec, names, source.Columns, out var mapping, out string? mappingError))
            {
                return ([], [], mappingError);
            }

            source.Bind(mapping);
            var mapper = new RowMapper(mapping, new EventTimeParser(spec.TimeUnit, spec.TimeFormat), names, format == InputFormat.Ndjson ? "key" : "column");
            var events = new List<MappedRow>();
            var rejections = new List<Rejection>();
            while (source.ReadRow(mapper))
            {
                if (mapper.EndRow(out var rejection))
                {
                    events.Add(ToRow(mapper.Current, names));
                }
                else
                {
                    rejections.Add(rejection);
                }
            }

            return (events, rejections, null);
        }
    }

    public static MappedRow ToRow(MappedEvent e, FieldNameTable names)
    {
        var fields = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var field in e.Fields)
        {
            fields[names[field.NameId]] = field.Kind == FieldKind.Number ? field.Number : Encoding.UTF8.GetString(e.TextOf(field));
        }

        return new MappedRow(e.Line, Encoding.UTF8.GetString(e.Type), e.TimeMs, e.Id.IsEmpty ? null : Encoding.UTF8.GetString(e.Id), fields);
    }

    public static long Ms(string isoUtc) => DateTimeOffset.Parse(isoUtc, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds();
}
