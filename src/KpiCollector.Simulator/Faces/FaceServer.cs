using System.Globalization;
using System.Text.Json.Nodes;

namespace KpiCollector.Simulator.Faces;

/// <summary>
/// Serves one API request of a face: applies the next armed fault, checks the credential, catches the simulation up,
/// runs the handler, and adds the face's rate-limit headers. The faults come before the credential check because an
/// expired token is itself one of them.
/// </summary>
public static class FaceServer
{
    public static async Task<IResult> ServeAsync(
        HttpContext context,
        IFace face,
        FaceErrors errors,
        Func<HttpRequest, bool> authorized,
        Func<HttpRequest, FaceReply> handler,
        ILogger logger)
    {
        var fault = face.Faults.Take();
        if (fault is not null)
        {
            Log.FaultInjected(logger, face.Name, FaultKinds.Name(fault.Kind), context.Request.Method, context.Request.Path + context.Request.QueryString);
            switch (fault.Kind)
            {
                case FaultKind.RateLimit:
                    context.Response.Headers.RetryAfter = ((long)Math.Ceiling(fault.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                    return FaceResponses.Json(errors.RateLimited.DeepClone(), errors.RateLimitedStatus);
                case FaultKind.ServerError:
                    return FaceResponses.Json(errors.ServerError.DeepClone(), fault.Status);
                case FaultKind.ExpiredToken:
                    return FaceResponses.Json(errors.Unauthorized.DeepClone(), StatusCodes.Status401Unauthorized);
                case FaultKind.Slow:
                    await Task.Delay(fault.Delay, context.RequestAborted);
                    break;
            }
        }

        if (!authorized(context.Request))
        {
            return FaceResponses.Json(errors.Unauthorized.DeepClone(), StatusCodes.Status401Unauthorized);
        }

        face.CatchUp();
        var reply = handler(context.Request);
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        return fault?.Kind == FaultKind.Malformed && reply.Status == StatusCodes.Status200OK
            ? Results.Content(FaceResponses.Corrupt(reply.Body), "application/json; charset=utf-8")
            : FaceResponses.Json(reply.Body, reply.Status);
    }
}
