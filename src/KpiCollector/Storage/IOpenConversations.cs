using KpiCollector.Core.Records;

namespace KpiCollector.Storage;

/// <summary>
/// What a connector may ask the store about its open set: the conversations it holds for a source whose latest version
/// is not solved or closed. Read-only; the store is still written only through committed batches.
/// </summary>
public interface IOpenConversations
{
    IReadOnlyDictionary<string, Conversation> OpenConversations(string source);
}
