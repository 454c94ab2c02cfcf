using Freshet.Learning.Features;

namespace Freshet.Learning.Tests;

public sealed class FeatureHasherTests
{
    private static readonly ulong User = FeatureHasher.Namespace("user");
    private static readonly ulong Item = FeatureHasher.Namespace("item");

    [Fact]
    public void Hash_IsStableAcrossProcesses()
    {
        // Pinned values: a model checkpointed by one build must be served by the next with the same coordinates.
        Assert.Equal(0xE6C93C614068A56CUL, FeatureHasher.Hash(User, FeatureHasher.ValueHash("u42")));
        Assert.Equal(2_201_869, new FeatureHasher(22).Index(FeatureHasher.Hash(User, FeatureHasher.ValueHash("u42"))));
    }

    [Fact]
    public void AddHashed_WithTheInternersContentHash_GivesTheCoordinateOfTheText()
    {
        var strings = new Freshet.Events.StringInterner();
        int id = strings.GetOrAdd("shoes");
        var hasher = new FeatureHasher(20);
        var byText = new SparseVector();
        var byHash = new SparseVector();
        hasher.Add(byText, User, "shoes");
        hasher.AddHashed(byHash, User, strings.HashOf(id));

        Assert.Equal(byText.Indices[0], byHash.Indices[0]);
    }

    [Fact]
    public void Add_SameValueInTwoNamespaces_LandsOnDifferentCoordinates()
    {
        var hasher = new FeatureHasher(20);
        var x = new SparseVector();
        hasher.Begin(x);
        hasher.Add(x, User, "42");
        hasher.Add(x, Item, "42");
        hasher.AddCross(x, User, "42", Item, "42");

        Assert.Equal(4, x.Count);
        Assert.Equal(FeatureHasher.BiasIndex, x.Indices[0]);
        Assert.Equal(4, x.Indices.ToArray().Distinct().Count());
        Assert.All(x.Indices[1..].ToArray(), i => Assert.InRange(i, 1, hasher.Size - 1));
    }

    [Fact]
    public void AddNumber_CarriesTheValueAndSkipsNonFiniteOnes()
    {
        var hasher = new FeatureHasher(12);
        var x = new SparseVector(2);
        hasher.Begin(x);
        hasher.AddNumber(x, FeatureHasher.Namespace("price"), 12.5);
        hasher.AddNumber(x, FeatureHasher.Namespace("price"), double.NaN);
        for (int i = 0; i < 10; i++)
        {
            hasher.Add(x, User, $"u{i}"); // Grows past the initial capacity.
        }

        Assert.Equal(12, x.Count);
        Assert.Equal(12.5f, x.Values[1]);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(30)]
    public void New_BitsOutOfRange_AreRefused(int bits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureHasher(bits));
}
