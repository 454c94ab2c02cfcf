using System.Text.Encodings.Web;
using System.Text.Json;

namespace Freshet.Files.Mapping;

/// <summary>
/// The names of the fields a replay sends, each given a small dense id once so that mapped events carry ints and
/// every target can cache what it needs per name (its JSON member prefix here, the engine's interned id there).
/// </summary>
public sealed class FieldNameTable
{
    /// <summary>Most distinct field names one replay may produce; a file with more is almost surely not event data.</summary>
    public const int MaxNames = 4096;

    // Names are escaped only where JSON requires it: the body goes to a Freshet server, not into a web page.
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    private readonly List<string> _names = [];
    private readonly List<byte[]> _members = [];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    public int Count => _names.Count;

    public string this[int id] => _names[id];

    /// <summary>The bytes that start the name's member in a JSON object after another member: <c>,"name":</c>.</summary>
    public ReadOnlySpan<byte> JsonMember(int id) => _members[id];

    /// <summary>The id of <paramref name="name"/>, adding it if new; -1 when the table is full.</summary>
    public int GetOrAdd(string name)
    {
        if (_ids.TryGetValue(name, out int id))
        {
            return id;
        }

        if (_names.Count == MaxNames)
        {
            return -1;
        }

        id = _names.Count;
        _names.Add(name);
        var json = JsonEncodedText.Encode(name, Encoder);
        _members.Add([(byte)',', (byte)'"', .. json.EncodedUtf8Bytes, (byte)'"', (byte)':']);
        _ids.Add(name, id);
        return id;
    }
}
