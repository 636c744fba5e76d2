namespace KpiCollector.Simulator.Faces;

/// <summary>A platform API face: its name (the path prefix and the control endpoint's key) and its fault queue.</summary>
public interface IFace
{
    string Name { get; }

    FaultPlan Faults { get; }

    /// <summary>Maps the face's API under <c>/{Name}</c>.</summary>
    void Map(IEndpointRouteBuilder app);

    /// <summary>Runs the face's simulation up to its horizon (at start, so the first request is not the slow one).</summary>
    void CatchUp();
}
