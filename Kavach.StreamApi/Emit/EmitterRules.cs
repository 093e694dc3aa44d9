using Kavach.StreamApi.Events;

namespace Kavach.StreamApi.Emit;

/// <summary>
/// Emitters speak only for themselves: a token whose subject is an agent (or a user) emits events about that agent (or
/// user) only. Its drafts get the party filled in when they leave it out; naming another is refused (403), whole batch.
/// </summary>
public static class EmitterRules
{
    /// <summary>The drafts as they will be stored, or the fields that name someone else (the emit must then be refused).</summary>
    public static IReadOnlyList<EventDraft> Apply(Emitter emitter, IReadOnlyList<EventDraft> drafts, bool isBatch, out Dictionary<string, string[]>? forbidden)
    {
        forbidden = null;
        if (emitter.Agent is null && emitter.User is null)
        {
            return drafts;
        }

        var own = new List<EventDraft>(drafts.Count);
        for (var i = 0; i < drafts.Count; i++)
        {
            var draft = drafts[i];
            var prefix = isBatch ? $"[{i}]." : "";
            if (emitter.Agent is { } agent)
            {
                if (draft.AgentId is not null && draft.AgentId != agent)
                {
                    (forbidden ??= [])[prefix + "agentId"] = [$"This token speaks for agent '{agent}' only: leave agentId out or set it to '{agent}'."];
                }

                draft = draft with { AgentId = agent };
            }

            if (emitter.User is { } user)
            {
                if (draft.UserId is not null && draft.UserId != user)
                {
                    (forbidden ??= [])[prefix + "userId"] = [$"This token speaks for user '{user}' only: leave userId out or set it to '{user}'."];
                }

                draft = draft with { UserId = user };
            }

            own.Add(draft);
        }

        return own;
    }
}
