namespace Commitments.LocalTwilio;
internal static class Placeholder;
