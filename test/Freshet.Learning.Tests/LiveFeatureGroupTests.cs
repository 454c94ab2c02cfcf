using System.Collections.Immutable;
using Freshet.Events;
using Freshet.Learning.Pipeline;

namespace Freshet.Learning.Tests;

public sealed class LiveFeatureGroupTests
{
    private static readonly ImmutableArray<LiveFeature> Live =
    [
        new("item", "item", "item_views", 3_600_000),
        new("item", "item", "item_clicks", 3_600_000),
        new("item", "item", "item_views", 86_400_000),
        new("user", "user", "user_views", 3_600_000),
    ];

    [Fact]
    public void GroupsOf_ADefinitionsLiveFeatures_OneGroupPerEntityKeyWithOneReadPerWindow()
    {
        var groups = LiveFeatureGroup.GroupsOf(Live);

        Assert.Equal(2, groups.Length);
        var (item, itemStart) = groups[0];
        Assert.Equal(("item", "item", 0, 3), (item.Entity, item.KeyField, itemStart, item.Features.Length));
        Assert.Equal([3_600_000L, 86_400_000L], item.Windows.Select(w => w.WindowMs));
        Assert.Equal(["item_views", "item_clicks"], item.Windows[0].Query.Features!);
        Assert.Equal([3_600_000L], item.Windows[0].Query.WindowsMs!);
        Assert.Equal([0, 1], item.Windows[0].Members.ToArray());
        Assert.Equal([2], item.Windows[1].Members.ToArray());
        var (user, userStart) = groups[1];
        Assert.Equal(("user", 3, 1), (user.Entity, userStart, user.Features.Length));
    }

    [Fact]
    public void Constructor_FeaturesOfTwoEntities_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new LiveFeatureGroup(Live));
        Assert.Contains("share one entity", e.Message);
    }

    /// <summary>The model resolves its live features when it is made: every read, training or ranking, gets the same resolved groups.</summary>
    [Fact]
    public void ClickModel_ReadsLiveFeatures_ThroughTheGroupsResolvedWhenItWasMade()
    {
        var definition = new ClickModelDefinition
        {
            Name = "carts",
            ExposureEvents = ["view"],
            OutcomeEvents = ["cart"],
            KeyFields = ["user", "item"],
            Live = Live,
            Ftrl = new() { Bits = 10 },
        };
        var live = new RecordingLiveFeatures();
        var strings = new StringInterner();
        var model = new ClickModel(definition, strings, live);
        var batch = new EventBatch();
        for (int n = 0; n < 50; n++)
        {
            batch.BeginEvent(strings.GetOrAdd("view"), n * 1_000L);
            batch.AddString(strings.GetOrAdd("user"), strings.GetOrAdd($"u{n % 7}"));
            batch.AddString(strings.GetOrAdd("item"), strings.GetOrAdd($"i{n}"));
            batch.EndEvent();
        }

        for (int i = 0; i < batch.Count; i++)
        {
            model.Observe(batch, i);
        }

        model.Score(new Dictionary<string, string> { ["user"] = "u1", ["item"] = "i1" });
        Assert.Equal(2 * 51, live.Reads.Count);
        var groups = live.Reads.Select(r => r.Group).Distinct().ToList();
        Assert.Equal(2, groups.Count);
        Assert.Equal(["item", "user"], groups.Select(g => g.Entity));
        Assert.Contains(live.Reads, r => r.Key == "i49" && r.BeforeMs == 49_000);
    }

    private sealed class RecordingLiveFeatures : ILiveFeatures
    {
        public List<(LiveFeatureGroup Group, string Key, long BeforeMs)> Reads { get; } = [];

        public void Read(LiveFeatureGroup group, string key, long beforeMs, Span<double> values)
        {
            Reads.Add((group, key, beforeMs));
            values.Fill(1);
        }
    }
}
