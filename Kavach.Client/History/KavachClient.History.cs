using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using Kavach.Contracts;

namespace Kavach.Client;

public sealed partial class KavachClient
{
    /// <summary>
    /// Every stored event matching <paramref name="query"/>, in ascending sequence, a page at a time, until the
    /// server says there is nothing more now. Events are typed as on the stream; their <c>Position</c> is null
    /// (pages carry sequences, not stream ids).
    /// </summary>
    public async IAsyncEnumerable<KavachEvent> ReadHistoryAsync(HistoryQuery? query = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        query ??= new HistoryQuery();
        long? after = query.After;
        while (after is { } from)
        {
            var page = await ReadPageAsync(query, from, cancellationToken).ConfigureAwait(false);
            foreach (var e in page.Events)
            {
                yield return KavachEventKinds.Of(e);
            }

            after = page.Next;
        }
    }

    private async Task<EventPage> ReadPageAsync(HistoryQuery query, long after, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, PagePath(query, after));
        await AuthorizeAsync(request, timeout.Token).ConfigureAwait(false);
        using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        await ThrowIfFinalAsync(response, timeout.Token).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"GET {KavachRoutes.Events} answered {(int)response.StatusCode}.", null, response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync<EventPage>(KavachJson.Options, timeout.Token).ConfigureAwait(false)
            ?? throw new HttpRequestException($"GET {KavachRoutes.Events} answered an empty page.");
    }

    private static string PagePath(HistoryQuery query, long after)
    {
        var path = new StringBuilder(KavachRoutes.Events).Append("?after=").Append(after.ToString(CultureInfo.InvariantCulture))
            .Append("&limit=").Append(query.PageSize.ToString(CultureInfo.InvariantCulture));
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                path.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        Add("types", query.Types.Count > 0 ? string.Join(',', query.Types) : null);
        Add("agentId", query.AgentId);
        Add("userId", query.UserId);
        Add("since", query.Since?.ToString("O", CultureInfo.InvariantCulture));
        Add("until", query.Until?.ToString("O", CultureInfo.InvariantCulture));
        return path.ToString();
    }
}
