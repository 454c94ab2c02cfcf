using Freshet.Files.Mapping;

namespace Freshet.Files.Sources;

/// <summary>
/// Where rows come from: a CSV/TSV file or an NDJSON file. Each <see cref="ReadRow"/> pushes one row's values into
/// the mapper (or marks the row bad, with its line number); the caller then completes it with
/// <see cref="RowMapper.EndRow"/>.
/// </summary>
public interface IRowSource : IDisposable
{
    /// <summary>The column names (header or <c>--columns</c>); null for NDJSON, whose keys are learnt as they come.</summary>
    IReadOnlyList<string>? Columns { get; }

    /// <summary>How the file is being read, for the start line ("CSV separated by ',', header of 9 columns").</summary>
    string Description { get; }

    /// <summary>Bytes of the file read so far (of the compressed file for .gz), for progress.</summary>
    long Position { get; }

    /// <summary>Size of the file in bytes.</summary>
    long Length { get; }

    /// <summary>Connects the source to the compiled mapping (before the first row).</summary>
    void Bind(FieldMapping mapping);

    /// <summary>Pushes the next row into <paramref name="mapper"/>; false at the end of the file.</summary>
    bool ReadRow(RowMapper mapper);
}
