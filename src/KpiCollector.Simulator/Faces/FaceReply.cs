using System.Text.Json.Nodes;

namespace KpiCollector.Simulator.Faces;

/// <summary>A handler's answer: the body, its status and extra headers.</summary>
public sealed record FaceReply(JsonNode Body, int Status = StatusCodes.Status200OK, IReadOnlyDictionary<string, string>? Headers = null);
