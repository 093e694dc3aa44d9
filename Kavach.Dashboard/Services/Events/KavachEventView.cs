using System.Text.Json;
using Kavach.Contracts;

namespace Kavach.Dashboard.Services.Events;

/// <summary>How the console looks at an event of the wire contract (<see cref="KavachEvent"/>).</summary>
public static class KavachEventView
{
    private static readonly JsonSerializerOptions IndentedJsonOptions = new(KavachJson.Options) { WriteIndented = true };

    extension(KavachEvent e)
    {
        /// <summary>Anomalies and exceeded budgets: the console raises an alert for them.</summary>
        public bool IsAlert => EventTypes.IsAlert(e.Type);

        /// <summary>The event as the API sends it (base envelope only, whatever typed record it is).</summary>
        public string ToJson(bool indented = false) =>
            JsonSerializer.Serialize(e, typeof(KavachEvent), indented ? IndentedJsonOptions : KavachJson.Options);
    }
}
