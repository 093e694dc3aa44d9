using Kavach.StreamApi.Events;

namespace Kavach.UnitTests.StreamApi;

/// <summary>
/// A search's text becomes a LIKE pattern over the stored body: encoded as the body's JSON is, its wildcards matching
/// themselves, and bounded in length.
/// </summary>
[TestClass]
public sealed class SearchTextTests
{
    [TestMethod]
    public void PlainTextIsFoundAnywhereInTheBody() =>
        Assert.AreEqual("%mallory%", SearchText.ToPattern("  mallory ", out _));

    [TestMethod]
    public void WildcardsAndBackslashesMatchThemselves()
    {
        Assert.AreEqual(@"%\%\%\%%", SearchText.ToPattern("%%%", out _));
        Assert.AreEqual(@"%a\_b%", SearchText.ToPattern("a_b", out _));
        // A backslash is stored escaped in JSON (\\), and each is escaped again for LIKE.
        Assert.AreEqual(@"%C:\\\\dir%", SearchText.ToPattern(@"C:\dir", out _));
    }

    [TestMethod]
    public void TextIsEncodedAsTheStoredJsonIs()
    {
        Assert.AreEqual(@"%caf\\u00E9%", SearchText.ToPattern("café", out _));
        Assert.AreEqual(@"%say \\u0022hi%", SearchText.ToPattern("say \"hi", out _));
    }

    [TestMethod]
    public void TooShortTooLongOrControlTextIsRefusedWithTheRule()
    {
        foreach (var bad in new[] { "ab", "   ", "a\u0000b", new string('x', SearchText.MaxLength + 1), "ab\ud800" })
        {
            Assert.IsNull(SearchText.ToPattern(bad, out var error), bad);
            StringAssert.Contains(error, "'q'");
        }

        Assert.IsNotNull(SearchText.ToPattern(new string('x', SearchText.MaxLength), out _));
    }
}
