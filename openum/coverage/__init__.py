"""Coverage discovery: does this service need an authorization, and is it covered at all?"""
