using System.Text.Json.Nodes;

namespace KpiCollector.Simulator.Faces;

/// <summary>How one platform words its errors, for the faults and for a refused credential.</summary>
/// <param name="Unauthorized">The 401 body.</param>
/// <param name="RateLimited">The 429 body.</param>
/// <param name="ServerError">The 5xx body.</param>
public sealed record FaceErrors(JsonNode Unauthorized, JsonNode RateLimited, JsonNode ServerError);
