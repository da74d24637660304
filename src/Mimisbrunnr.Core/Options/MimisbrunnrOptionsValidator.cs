using Microsoft.Extensions.Options;

namespace Mimisbrunnr;

/// <summary>
/// The data-annotation and <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/> rules of
/// <see cref="MimisbrunnrOptions"/> and every options object inside it, generated at build time (no reflection), run
/// when the host starts. Rules that need the engine (the allow-list syntax, the secret keys) are validators of their own
/// in the namespaces that own them.
/// </summary>
[OptionsValidator]
internal sealed partial class MimisbrunnrOptionsValidator : IValidateOptions<MimisbrunnrOptions>;
