using MudBlazor;

namespace Commitments.Host.Web.Layout;

/// <summary>Calm colours with strong contrast, large type and tap targets for a tablet at arm's length.</summary>
public static class AppTheme
{
    private static readonly string[] Fonts = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"];

    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#0b4f6c",
            Secondary = "#4a5561",
            Success = "#1b6b3a",
            Warning = "#8a5300",
            Error = "#b3261e",
            Info = "#1f5f99",
            AppbarBackground = "#0b4f6c",
            Background = "#f6f7f9",
            TextSecondary = "rgba(0,0,0,0.70)",
            ActionDefault = "rgba(0,0,0,0.70)",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = Fonts, FontSize = "1rem" },
            H4 = new H4Typography { FontFamily = Fonts, FontSize = "1.75rem", FontWeight = "600" },
            H5 = new H5Typography { FontFamily = Fonts, FontSize = "1.4rem", FontWeight = "600" },
            H6 = new H6Typography { FontFamily = Fonts, FontSize = "1.15rem", FontWeight = "600" },
            Button = new ButtonTypography { FontFamily = Fonts, FontSize = "1rem", FontWeight = "600", TextTransform = "none" },
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "10px" },
    };
}
