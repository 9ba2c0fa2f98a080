"""The web portal (DESIGN §7): a hosted client with server-rendered pages, mounted at /portaal."""
