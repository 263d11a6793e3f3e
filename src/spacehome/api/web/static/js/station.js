// The station page (being built).
import { mount, notice } from "./app.js";

mount(notice("info", "This page is being built."));
