using System.Runtime.InteropServices;

namespace Freshet.Events;

/// <summary>What a field holds.</summary>
public enum FieldKind : byte
{
    /// <summary>The field is absent.</summary>
    None = 0,
    /// <summary>A number (JSON numbers are read as double).</summary>
    Number = 1,
    /// <summary>A string, stored as an interned id.</summary>
    String = 2,
}

/// <summary>One named field of an event: 16 bytes, no references, so a batch of them is one flat array.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct FieldValue
{
    /// <summary>Interned id of the field name.</summary>
    public readonly int NameId;
    /// <summary>Interned id of the string value, when <see cref="Kind"/> is <see cref="FieldKind.String"/>.</summary>
    public readonly int StringId;
    /// <summary>The number, when <see cref="Kind"/> is <see cref="FieldKind.Number"/>.</summary>
    public readonly double Number;

    private readonly FieldKind _kind;

    private FieldValue(int nameId, FieldKind kind, int stringId, double number)
    {
        NameId = nameId;
        _kind = kind;
        StringId = stringId;
        Number = number;
    }

    public FieldKind Kind => _kind;

    public bool IsPresent => _kind != FieldKind.None;

    public static FieldValue OfString(int nameId, int stringId) => new(nameId, FieldKind.String, stringId, 0);

    public static FieldValue OfNumber(int nameId, double number) => new(nameId, FieldKind.Number, 0, number);

    public override string ToString() => _kind switch
    {
        FieldKind.Number => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        FieldKind.String => $"#{StringId}",
        _ => "(none)",
    };
}
