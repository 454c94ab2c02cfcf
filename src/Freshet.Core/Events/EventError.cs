namespace Freshet.Events;

/// <summary>Why an event was not accepted. Counted per reason in engine statistics.</summary>
public enum EventRejectReason
{
    /// <summary>The JSON could not be read at all from this point.</summary>
    MalformedJson,
    /// <summary>The event is not a JSON object.</summary>
    NotAnObject,
    MissingType,
    MissingTime,
    /// <summary>A reserved key (<c>id</c>, <c>type</c>, <c>time</c>) has the wrong type or format.</summary>
    InvalidHeader,
    /// <summary>A field is an object or array, or a key (a field, <c>type</c>, <c>time</c> or <c>id</c>) appears twice.</summary>
    InvalidField,
    /// <summary>Too many fields, or a string that is too long.</summary>
    TooLarge,
    /// <summary>Older than now minus the allowed lateness: its tiles are closed.</summary>
    Late,
    /// <summary>Further ahead of now than max_future.</summary>
    Future,
    /// <summary>A string (a value, a key, the type, the id or the time) is not valid Unicode: a lone UTF-16 surrogate escape or bytes that are not UTF-8.</summary>
    InvalidString,
    /// <summary>A numeric field is not finite or is outside ±<see cref="NumberRange.MaxMagnitude"/>.</summary>
    InvalidNumber,
}

/// <summary>One rejected event: its index in the request, the reason, the field at fault (if any) and a readable message.</summary>
public readonly record struct EventError(int Index, EventRejectReason Reason, string? Field, string Message)
{
    public override string ToString() => $"event {Index}: {Message}";
}
