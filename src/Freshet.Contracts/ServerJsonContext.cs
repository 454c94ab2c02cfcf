using System.Text.Json.Serialization;

namespace Freshet.Contracts;

/// <summary>Source-generated serializers for the API's bodies: no reflection on the request path.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(FeatureValueConverter)])]
[JsonSerializable(typeof(IngestResponse))]
[JsonSerializable(typeof(VectorResponse))]
[JsonSerializable(typeof(VectorBatchRequest))]
[JsonSerializable(typeof(VectorBatchResponse))]
[JsonSerializable(typeof(SeriesResponse))]
[JsonSerializable(typeof(ProfileResponse))]
[JsonSerializable(typeof(TopResponse))]
[JsonSerializable(typeof(CatalogResponse))]
[JsonSerializable(typeof(FeatureDto))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ReadyResponse))]
[JsonSerializable(typeof(StatsResponse))]
[JsonSerializable(typeof(List<RejectedEvent>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(ModelsResponse))]
[JsonSerializable(typeof(ScoreRequest))]
[JsonSerializable(typeof(ScoreResponse))]
[JsonSerializable(typeof(RecommendResponse))]
public sealed partial class ServerJsonContext : JsonSerializerContext;
