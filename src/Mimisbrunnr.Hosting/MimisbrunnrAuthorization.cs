namespace Mimisbrunnr.Hosting;

/// <summary>
/// The authorization a host may add to the <c>/norns</c> API with ASP.NET Core's resource-based authorization.
/// </summary>
/// <remarks>
/// Creating or updating a norn runs the policy <see cref="DevicePolicy"/>, when the host defines one, with the
/// canonical device id (a <see cref="string"/>, for example <c>mac:112233445566</c>) as the resource: a host plugs in
/// "may this caller see this device" (say, a call to its inventory) as an <c>AuthorizationHandler</c> of a
/// requirement in that policy. Without the policy every authenticated caller may register for any device (partner ids
/// still decide which events it gets). A denied caller gets 403 naming the device.
/// <code>
/// services.AddAuthorization(o => o.AddPolicy(MimisbrunnrAuthorization.DevicePolicy, p => p.AddRequirements(new InventoryRequirement())));
/// services.AddSingleton&lt;IAuthorizationHandler, InventoryHandler&gt;(); // AuthorizationHandler&lt;InventoryRequirement, string&gt;
/// </code>
/// </remarks>
public static class MimisbrunnrAuthorization
{
    /// <summary>The name of the device authorization policy: <c>Mimisbrunnr.Device</c>.</summary>
    public const string DevicePolicy = "Mimisbrunnr.Device";
}
