using System.Diagnostics.CodeAnalysis;
using CsvHelper;
using Freshet.Files.Mapping;

namespace Freshet.Files.Sources;

/// <summary>
/// Rows of a CSV or TSV file, read with CsvHelper's SIMD UTF-8 reader: RFC 4180 quoting (separators, quotes and line
/// breaks inside quoted fields), fields handed to the mapper as spans into its buffer, so a row costs no strings.
/// A row with the wrong number of fields (REES46's last line, cut off mid-field) or broken quoting is rejected with
/// its line number; every other row is kept.
/// </summary>
public sealed class CsvRowSource : IRowSource
{
    private readonly FileStream _file;
    private readonly CsvReader _reader;
    private readonly Queue<CsvMalformedRecord> _malformed;
    private readonly IReadOnlyList<string> _columns;
    private readonly string _description;
    private bool _pending;

    private CsvRowSource(FileStream file, CsvReader reader, Queue<CsvMalformedRecord> malformed, IReadOnlyList<string> columns, string description)
    {
        _file = file;
        _malformed = malformed;
        _reader = reader;
        _columns = columns;
        _description = description;
    }

    public IReadOnlyList<string>? Columns => _columns;

    public string Description => _description;

    public long Position => _file.Position;

    public long Length => _file.Length;

    /// <summary>
    /// Opens the reader and reads the header. <paramref name="delimiter"/> null detects the separator from the first
    /// lines (among , ; tab and |). Without a header, <paramref name="columns"/> must name the columns; with one, they
    /// rename its columns.
    /// </summary>
    public static bool TryOpen(FileStream file, Stream input, char? delimiter, bool noHeader, IReadOnlyList<string>? columns,
        [NotNullWhen(true)] out CsvRowSource? source, [NotNullWhen(false)] out string? error)
    {
        source = null;
        if (noHeader && columns is null)
        {
            error = "--no-header needs --columns to name the columns, for example --columns user,item,category,type,time";
            return false;
        }

        var malformed = new Queue<CsvMalformedRecord>();
        var options = new CsvReaderOptions
        {
            Separator = delimiter,
            HasHeader = !noHeader,
            TrackLineNumbers = true,
            SkipEmptyLines = true,
            MalformedData = CsvMalformedDataHandling.Skip,
            FieldCountMismatch = CsvFieldCountHandling.Allow, // Checked here, to say which line and how many fields.
            OnMalformedRecord = malformed.Enqueue,
        };
        var reader = CsvReader.Create(input, options, leaveOpen: false);
        try
        {
            reader.ReadHeader();
            var header = reader.Headers;
            if (!noHeader && columns is not null && columns.Count != header.Count)
            {
                error = $"--columns names {columns.Count} columns, but the header has {header.Count}: {string.Join(", ", header)}";
                reader.Dispose();
                return false;
            }

            var names = columns ?? header;
            if (names.Count == 0)
            {
                error = "the file is empty: there is no header row";
                reader.Dispose();
                return false;
            }

            string separator = reader.Separator switch { '\t' => "tabs", ',' => "commas", ';' => "semicolons", '|' => "'|'", char c => $"'{c}'" };
            string description = $"{(reader.Separator == '\t' ? "TSV" : "CSV")} separated by {separator}, "
                + (noHeader ? $"no header, {names.Count} columns from --columns" : $"header of {names.Count} columns");
            source = new CsvRowSource(file, reader, malformed, names, description);
            error = null;
            return true;
        }
        catch (CsvFormatException e)
        {
            reader.Dispose();
            error = $"the header cannot be read: {e.Message}";
            return false;
        }
    }

    public void Bind(FieldMapping mapping)
    {
        // FieldMapping registered the columns in order, so a column's source id is its index.
        if (mapping.SourceName(_columns.Count - 1) != _columns[^1])
        {
            throw new InvalidOperationException("the mapping was not compiled against this file's columns");
        }
    }

    public bool ReadRow(RowMapper mapper)
    {
        if (!_pending && _malformed.Count == 0)
        {
            if (!_reader.Read())
            {
                return TryReportMalformed(mapper);
            }

            _pending = true;
        }

        // Records skipped for bad quoting are reported (by a callback during Read) before the record read after them.
        if (TryReportMalformed(mapper))
        {
            return true;
        }

        _pending = false;
        mapper.BeginRow(_reader.LineNumber);
        int count = _reader.FieldCount;
        if (count != _columns.Count)
        {
            mapper.Fail(LocalReasons.BadRow, count < _columns.Count
                ? $"{count} field{(count == 1 ? "" : "s")}, but the header has {_columns.Count} (the line is cut short?)"
                : $"{count} fields, but the header has {_columns.Count} (an unquoted separator in a value?)");
            return true;
        }

        for (int i = 0; i < count; i++)
        {
            mapper.AddCell(i, _reader.GetSpan(i), CellKind.Text);
        }

        return true;
    }

    private bool TryReportMalformed(RowMapper mapper)
    {
        if (!_malformed.TryDequeue(out var bad))
        {
            return false;
        }

        mapper.BeginRow(bad.LineNumber);
        mapper.Fail(LocalReasons.BadRow, bad.Reason switch
        {
            CsvMalformedReason.UnterminatedQuote => "a quoted field is never closed (everything after its opening quote was skipped)",
            CsvMalformedReason.StrayQuote => "a quote inside an unquoted field",
            CsvMalformedReason.TextAfterClosingQuote => "text after the closing quote of a field",
            CsvMalformedReason.LineBreakInQuotes => "a line break inside quotes",
            CsvMalformedReason.FieldCountMismatch => $"the number of fields differs from the header's {_columns.Count}",
            _ => $"malformed CSV ({bad.Reason})",
        });
        return true;
    }

    public void Dispose()
    {
        _reader.Dispose();
        _file.Dispose();
    }
}
