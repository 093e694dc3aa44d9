namespace Kavach.Contracts;

/// <summary>
/// Anything a stream delivers: a <see cref="KavachEvent"/> (one of the twelve types, or one this version does not
/// know) or a <see cref="StreamSignal"/> about the stream itself (<c>connected</c>, <c>resync</c>, <c>error</c>).
/// </summary>
public abstract record StreamItem;
