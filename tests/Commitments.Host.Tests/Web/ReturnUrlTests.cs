using Commitments.Host.Web.SignIn;

namespace Commitments.Host.Tests.Web;

/// <summary>Where a sign-in goes back to: only a path on this site (the known open-redirect bypasses go home).</summary>
public sealed class ReturnUrlTests
{
    [Theory]
    [InlineData("/mine")]
    [InlineData("/promises/3f2c?tab=history")]
    [InlineData("/")]
    [InlineData("/queue#late")]
    public void APathOnThisSiteIsKept(string url) => SignInPage.SafeReturnUrl(url).ShouldBe(url);

    [Theory]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("/%09/evil.example")]
    [InlineData("/%0a/evil.example")]
    [InlineData("/%2F/evil.example")]
    [InlineData("/%2f/evil.example")]
    [InlineData("/%5C/evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("evil.example")]
    [InlineData("~/x")]
    [InlineData("/signin?returnUrl=//evil.example")]
    [InlineData("/%73ignin")]
    [InlineData("")]
    [InlineData(null)]
    public void AnythingElseGoesHome(string? url) => SignInPage.SafeReturnUrl(url).ShouldBe("/");
}
