namespace Commitments.Grains.Index;

/// <summary>Codes staff type in a reply ("YES K7"): a letter and a digit, without look-alikes (I, O, 0, 1).</summary>
public static class ReplyCodes
{
    private const string Letters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    private const string Digits = "23456789";

    /// <summary>The <paramref name="index"/>-th code: two characters first, then a letter and two digits, then Z and four digits.</summary>
    public static string At(int index)
    {
        var twoCharacter = Letters.Length * Digits.Length;
        if (index < twoCharacter)
        {
            return $"{Letters[index / Digits.Length]}{Digits[index % Digits.Length]}";
        }

        index -= twoCharacter;
        var threeCharacter = Letters.Length * 90;
        if (index < threeCharacter)
        {
            return $"{Letters[index / 90]}{10 + (index % 90)}";
        }

        return $"Z{index - threeCharacter:D4}";
    }

    public static bool LooksLikeCode(string token) =>
        token.Length is >= 2 and <= 5 && char.IsAsciiLetter(token[0]) && token[1..].All(char.IsAsciiDigit);
}
