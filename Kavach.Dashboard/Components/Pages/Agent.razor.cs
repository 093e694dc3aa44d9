using Kavach.Dashboard.Services;
using Kavach.Dashboard.Services.Agents;
using Kavach.Dashboard.Services.Events;
using Kavach.Dashboard.Services.Feed;
using Microsoft.AspNetCore.Components;

namespace Kavach.Dashboard.Components.Pages;

/// <summary>One agent's persisted history from the API, kept current with its live events from the shared feed.</summary>
public partial class Agent
{
    private const int MaxEvents = 10_000;

    private List<KavachEvent> _events = [];
    private AgentProfile? _profile;
    private KavachEvent? _selected;
    private bool _truncated;
    private string? _error;
    private string? _loadedFor;

    [Parameter]
    public string AgentId { get; set; } = "";

    [Inject]
    private StreamApiClient Api { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        if (_loadedFor == AgentId)
        {
            return;
        }

        _loadedFor = AgentId;
        _profile = null;
        _selected = null;
        _error = null;
        _events = [];
        try
        {
            long? after = null;
            do
            {
                var page = await Api.GetPageAsync(new PageQuery(After: after, AgentId: AgentId, Limit: PageQuery.MaxLimit), CancellationToken.None);
                _events.AddRange(page.Events);
                after = page.Next;
            }
            while (after is not null && _events.Count < MaxEvents);
            _truncated = after is not null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            _error = $"The agent's history could not be read from the stream API: {e.Message}. Showing live events only.";
        }

        Merge(Snapshot);
    }

    protected override void OnFeedChanged(FeedSnapshot snapshot)
    {
        if (_loadedFor == AgentId)
        {
            Merge(snapshot);
        }
    }

    private void Merge(FeedSnapshot snapshot)
    {
        var newest = _events.Count == 0 ? 0 : _events.Max(e => e.Sequence);
        var live = snapshot.Events.Where(e => e.Sequence > newest && e.AgentId == AgentId).ToList();
        if (live.Count > 0 || _profile is null)
        {
            _events.AddRange(live);
            _profile = AgentProfile.From(AgentId, _events);
        }
    }
}
