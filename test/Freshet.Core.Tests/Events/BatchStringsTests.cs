using System.Text;
using Freshet.Events;
using Freshet.Hashing;

namespace Freshet.Tests.Events;

public sealed class BatchStringsTests
{
    private readonly StringInterner _strings = new();
    private readonly EventBatch _batch = new(4);

    private void Parse(string json, List<EventError>? errors = null) =>
        new EventJsonParser(_strings).Parse(Encoding.UTF8.GetBytes(json), _batch, errors ?? []);

    [Fact]
    public void Parse_StringsTheInternerLacks_StayLocalToTheBatch()
    {
        int view = _strings.GetOrAdd("view"), item = _strings.GetOrAdd("item"), known = _strings.GetOrAdd("known");
        int count = _strings.Count;

        Parse("""{"type": "view", "time": 1763719200000, "item": "known", "note": "new-value", "other": "new-value"}""");

        Assert.Equal(count, _strings.Count);
        Assert.Equal(view, _batch[0].TypeId);
        var fields = _batch.FieldsOf(0).ToArray();
        Assert.Equal(item, fields[0].NameId);
        Assert.Equal(known, fields[0].StringId);
        Assert.True(fields[1].NameId < 0 && fields[1].StringId < 0);
        Assert.Equal(fields[1].StringId, fields[2].StringId); // Deduplicated within the batch.
        Assert.Equal("note", _batch.StringOf(fields[1].NameId, _strings));
        Assert.Equal("new-value", _batch.StringOf(fields[1].StringId, _strings));
        Assert.Equal(XxHash64.Hash("new-value"u8), _batch.HashOf(fields[1].StringId, _strings));
    }

    [Fact]
    public void Parse_RejectedEvents_InternNothing()
    {
        var errors = new List<EventError>();
        Parse("""
            {"type": "view", "item": "no-time"}
            {"type": "view", "time": 1, "item": "bad-time"}
            {"type": "view", "time": 1763719200000, "item": {"nested": "object"}}
            """, errors);

        Assert.Equal(3, errors.Count);
        Assert.Equal(1, _strings.Count); // Only the reserved id 0.
    }

    [Fact]
    public void Clear_DropsTheLocalStrings()
    {
        Parse("""{"type": "view", "time": 1763719200000, "note": "a"}""");
        Assert.True(_batch.LocalStrings.Count > 0);

        _batch.Clear();

        Assert.Equal(0, _batch.LocalStrings.Count);
    }

    [Fact]
    public void CopyFrom_LocalStrings_AreCopiedIntoTheTargetBatch()
    {
        Parse("""{"type": "view", "time": 1763719200000, "note": "copied", "price": 2}""");
        var target = new EventBatch();
        target.AddLocalString("something else"u8); // So the indexes of the two batches differ.

        target.CopyFrom(_batch, 0);
        _batch.Clear();

        var fields = target.FieldsOf(0).ToArray();
        Assert.Equal("view", target.StringOf(target[0].TypeId, _strings));
        Assert.Equal("note", target.StringOf(fields[0].NameId, _strings));
        Assert.Equal("copied", target.StringOf(fields[0].StringId, _strings));
        Assert.Equal("price", target.StringOf(fields[1].NameId, _strings));
        Assert.Equal(2, fields[1].Number);
    }

    [Fact]
    public void Promote_KeptField_GetsAnInternedIdAndTheOthersStayLocal()
    {
        int user = _strings.GetOrAdd("user");
        Parse("""{"type": "view", "time": 1763719200000, "user": "u1", "note": "n1"}""");
        var keep = new bool[user + 1];
        keep[user] = true;

        _batch.Promote(0, _strings, keep);

        var fields = _batch.FieldsOf(0).ToArray();
        Assert.True(_strings.TryGet("u1", out int u1));
        Assert.Equal(u1, fields[0].StringId);
        Assert.True(fields[1].StringId < 0);
        Assert.False(_strings.TryGet("n1", out _));
    }

    [Fact]
    public void Add_InvalidUtf8_IsStoredAsTheInternerWouldStoreIt()
    {
        var local = new BatchStrings();
        byte[] invalid = [0x61, 0xFF, 0x62];

        int index = local.Add(invalid);
        int id = _strings.GetOrAddUtf8(invalid);

        Assert.Equal(_strings[id], Encoding.UTF8.GetString(local.Utf8(index)));
        Assert.Equal(_strings.HashOf(id), local.Hash(index));
    }

    [Fact]
    public void Add_ManyStrings_FindsEachAgain()
    {
        var local = new BatchStrings();
        var indexes = Enumerable.Range(0, 5000).Select(i => local.Add(Encoding.UTF8.GetBytes($"s{i}"))).ToArray();

        Assert.Equal(Enumerable.Range(0, 5000), indexes);
        Assert.Equal(4321, local.Add("s4321"u8));
        Assert.Equal("s4999", Encoding.UTF8.GetString(local.Utf8(4999)));
    }
}
