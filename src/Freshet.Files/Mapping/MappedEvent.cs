namespace Freshet.Files.Mapping;

/// <summary>How a mapped field's value is sent: as a JSON string or as a JSON number.</summary>
public enum FieldKind : byte
{
    String,
    Number,
}

/// <summary>
/// One field of a mapped event: its name id (see <see cref="FieldNameTable"/>) and either a number or the place of
/// its UTF-8 text in the event's value bytes. Offsets are relative to the event, so an event can be copied as is.
/// </summary>
public readonly record struct MappedField(int NameId, FieldKind Kind, int ValueStart, int ValueLength, double Number);

/// <summary>
/// An event ready to send: type, time in epoch milliseconds, optional id, and fields, all as spans over the
/// mapper's (or the sort buffer's) reusable buffers. Valid until the next row is read; never stored.
/// </summary>
public readonly ref struct MappedEvent(
    long line, long timeMs, ReadOnlySpan<byte> type, ReadOnlySpan<byte> id, ReadOnlySpan<MappedField> fields, ReadOnlySpan<byte> values)
{
    /// <summary>The 1-based line of the input file where the row starts.</summary>
    public long Line { get; } = line;

    public long TimeMs { get; } = timeMs;

    /// <summary>The event type, UTF-8.</summary>
    public ReadOnlySpan<byte> Type { get; } = type;

    /// <summary>The event id from the file, UTF-8; empty when the file has none.</summary>
    public ReadOnlySpan<byte> Id { get; } = id;

    public ReadOnlySpan<MappedField> Fields { get; } = fields;

    /// <summary>The UTF-8 text of the string fields, which <see cref="MappedField.ValueStart"/> points into.</summary>
    public ReadOnlySpan<byte> Values { get; } = values;

    public ReadOnlySpan<byte> TextOf(in MappedField field) => Values.Slice(field.ValueStart, field.ValueLength);
}
