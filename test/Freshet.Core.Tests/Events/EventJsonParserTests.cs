using System.Text;
using Freshet.Events;

namespace Freshet.Tests.Events;

public sealed class EventJsonParserTests
{
    private readonly StringInterner _strings = new();
    private readonly EventBatch _batch = new(4);
    private readonly List<EventError> _errors = [];

    private int Parse(string json) => new EventJsonParser(_strings).Parse(Encoding.UTF8.GetBytes(json), _batch, _errors);

    // By text: the parser interns only what the interner already holds; other names and values stay local to the batch.
    private string Text(int index, string field)
    {
        foreach (var v in _batch.FieldsOf(index))
        {
            if (_batch.StringOf(v.NameId, _strings) == field)
            {
                return v.Kind == FieldKind.String ? _batch.StringOf(v.StringId, _strings) : v.ToString();
            }
        }

        return "(none)";
    }

    [Fact]
    public void Parse_FlatJsonArray_ReadsTypeTimeIdAndFields()
    {
        int seen = Parse("""[{"id": "e1", "type": "click", "time": 1763719200000, "user": "u1", "item": "i9", "category": "c3", "price": 12.5}]""");

        Assert.Equal(1, seen);
        Assert.Empty(_errors);
        Assert.Equal(1, _batch.Count);
        Assert.Equal("click", _batch.StringOf(_batch[0].TypeId, _strings));
        Assert.Equal(1763719200000, _batch[0].TimeMs);
        Assert.NotEqual(0UL, _batch[0].IdHash);
        Assert.Equal("u1", Text(0, "user"));
        Assert.Equal("12.5", Text(0, "price"));
        Assert.Equal(4, _batch.FieldsOf(0).Length);
    }

    [Fact]
    public void Parse_Ndjson_ReadsEveryLineAndKeepsGoodLinesAroundABadOne()
    {
        Parse("""
            {"type": "view", "time": 1763719200000, "item": "a"}
            {"type": "view", "time": 1763719200001, "item": "b"
            {"type": "view", "time": 1763719200002, "item": "c"}

            {"type": "view", "time": 1763719200003, "item": "d"}
            """);

        Assert.Equal(3, _batch.Count);
        Assert.Equal(["a", "c", "d"], Enumerable.Range(0, 3).Select(i => Text(i, "item")));
        var error = Assert.Single(_errors);
        Assert.Equal(1, error.Index);
        Assert.Equal(EventRejectReason.MalformedJson, error.Reason);
        Assert.Contains("line 2", error.Message);
    }

    [Fact]
    public void Parse_ArrayWithInvalidEvents_KeepsAllValidOnesAndNamesEachProblem()
    {
        Parse("""
            [
              {"type": "view", "time": 1763719200000, "item": "a"},
              {"time": 1763719200000, "item": "no-type"},
              {"type": "view", "item": "no-time"},
              {"type": "view", "time": 1763719200, "item": "seconds"},
              {"type": "view", "time": "yesterday", "item": "bad-iso"},
              {"type": "view", "time": 1763719200000, "item": {"nested": true}},
              {"type": 5, "time": 1763719200000},
              "not an object",
              {"type": "view", "time": "2026-11-21T10:00:00Z", "item": "b"},
              {"type": "view", "time": "2019-10-01 00:00:04 UTC", "item": "c"}
            ]
            """);

        Assert.Equal(["a", "b", "c"], Enumerable.Range(0, _batch.Count).Select(i => Text(i, "item")));
        Assert.Equal(DateTimeOffset.Parse("2026-11-21T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), _batch[1].TimeMs);
        Assert.Equal(1569888004000, _batch[2].TimeMs);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], _errors.Select(e => e.Index));
        Assert.Equal(EventRejectReason.MissingType, _errors[0].Reason);
        Assert.Equal(EventRejectReason.MissingTime, _errors[1].Reason);
        Assert.Contains("looks like epoch seconds", _errors[2].Message);
        Assert.Contains("1763719200000", _errors[2].Message);
        Assert.Contains("ISO-8601", _errors[3].Message);
        Assert.Equal(EventRejectReason.InvalidField, _errors[4].Reason);
        Assert.Equal("item", _errors[4].Field);
        Assert.Contains("'type' must be a non-empty string", _errors[5].Message);
        Assert.Equal(EventRejectReason.NotAnObject, _errors[6].Reason);
    }

    [Fact]
    public void Parse_ArrayWithSyntaxError_KeepsEventsBeforeItAndSaysWhereItStopped()
    {
        Parse("""[{"type": "view", "time": 1763719200000}, {"type": "view", "time": 17637192000""");

        Assert.Equal(1, _batch.Count);
        var error = Assert.Single(_errors);
        Assert.Equal(1, error.Index);
        Assert.Equal(EventRejectReason.MalformedJson, error.Reason);
        Assert.Contains("events after this point were not read", error.Message);
    }

    [Fact]
    public void Parse_ScalarsOfEveryKind_AreStoredAsStringsOrNumbers()
    {
        Parse("""{"type": "v", "time": 1763719200000, "escaped": "a\"b\u00e9", "flag": true, "off": false, "gone": null, "n": -1.5e3}""");

        Assert.Empty(_errors);
        Assert.Equal("a\"bé", Text(0, "escaped"));
        Assert.Equal("1", Text(0, "flag"));
        Assert.Equal("0", Text(0, "off"));
        Assert.Equal("(none)", Text(0, "gone"));
        Assert.Equal("-1500", Text(0, "n"));
    }

    [Fact]
    public void Parse_NumericAndStringIds_HashTheSame()
    {
        Parse("""
            {"id": 5, "type": "v", "time": 1763719200000}
            {"id": "5", "type": "v", "time": 1763719200000}
            {"type": "v", "time": 1763719200000}
            """);

        Assert.Equal(_batch[0].IdHash, _batch[1].IdHash);
        Assert.Equal(0UL, _batch[2].IdHash);
    }

    [Fact]
    public void Parse_TooManyFieldsOrLongStrings_RejectsThatEventOnly()
    {
        var fields = string.Join(", ", Enumerable.Range(0, EventJsonParser.MaxFields + 1).Select(i => $"\"f{i}\": {i}"));
        string longValue = new('x', StringInterner.MaxLength + 1);
        Parse($$"""
            {"type": "v", "time": 1763719200000, {{fields}}}
            {"type": "v", "time": 1763719200000, "q": "{{longValue}}"}
            {"type": "v", "time": 1763719200000, "ok": 1}
            """);

        Assert.Equal(1, _batch.Count);
        Assert.All(_errors, e => Assert.Equal(EventRejectReason.TooLarge, e.Reason));
        Assert.Equal([0, 1], _errors.Select(e => e.Index));
        Assert.Contains("'q'", _errors[1].Message);
    }

    [Fact]
    public void Parse_SecondBatchIntoClearedBatch_AllocatesNothingForKnownStrings()
    {
        var json = Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 200).Select(i =>
            $$"""{"type": "view", "time": {{1763719200000 + i}}, "user": "u{{i % 10}}", "item": "i{{i % 7}}", "price": {{i}}.5}""")));
        var parser = new EventJsonParser(_strings);
        parser.Parse(json, _batch, _errors);
        _batch.Clear();

        long before = GC.GetAllocatedBytesForCurrentThread();
        parser.Parse(json, _batch, _errors);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(200, _batch.Count);
        Assert.True(allocated == 0, $"parsing 200 known events allocated {allocated} bytes");
    }
}
