using System.Text.Json.Nodes;

namespace KpiCollector.Simulator.Faces;

/// <summary>How one platform words its errors, for the faults and for a refused credential.</summary>
/// <param name="Unauthorized">The 401 body.</param>
/// <param name="RateLimited">The 429 body.</param>
/// <param name="ServerError">The 5xx body.</param>
/// <param name="RateLimitedStatus">The status the platform answers rate limiting with (Bitrix24: 503).</param>
public sealed record FaceErrors(JsonNode Unauthorized, JsonNode RateLimited, JsonNode ServerError, int RateLimitedStatus = StatusCodes.Status429TooManyRequests);
