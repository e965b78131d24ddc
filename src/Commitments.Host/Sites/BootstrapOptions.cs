namespace Commitments.Host.Sites;

/// <summary>The first site and manager (section "Bootstrap"), applied idempotently at start-up outside Development.</summary>
public sealed class BootstrapOptions
{
    public SiteBootstrap? Site { get; set; }

    public ManagerBootstrap? Manager { get; set; }

    public sealed class SiteBootstrap
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
        public string? TimeZone { get; set; }
        public string? PhoneRegion { get; set; }
        /// <summary>Customer texts in this language unless the customer has one (en or es; default en).</summary>
        public string Language { get; set; } = "en";
    }

    public sealed class ManagerBootstrap
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
        public string? Mobile { get; set; }
        public string? Pin { get; set; }
        /// <summary>The manager's team (default "management", created if missing).</summary>
        public string Team { get; set; } = "management";
        public string TeamName { get; set; } = "Management";
    }
}
